"""What a browser sends back with a form: the version of the record the page showed."""


def shown_version(client, url: str) -> str:
    page = client.get(url).content.decode()
    return page.split('name="_row_version" value="')[1].split('"')[0]
