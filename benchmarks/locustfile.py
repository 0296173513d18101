"""The town's staff on the portal, for locust; started by `python -m benchmarks.load`, which
writes the cast (accounts signed in beforehand, their pages, each pairing cadre's household) to
the JSON file named by LOAD_CAST. LOAD_THINK: the mean seconds a person reads a page (0: none,
the stress run). At the end it writes the number of visits posted, answered or not, to LOAD_SENT.

One user class per role, weighted by the role's number of accounts; each simulated person takes
the next account of the role. A pairing cadre, on the phone, posts a phone contact every third
step (the form, then the post), each on a day with none yet, so that no post is refused.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path

from locust import HttpUser, between, constant, events, task

CAST = json.loads(Path(os.environ["LOAD_CAST"]).read_text(encoding="utf-8"))
THINK = float(os.environ.get("LOAD_THINK", "10"))
VISIT_TEXT = "负载测试：电话了解近况，收入稳定"  # the runner deletes these before a run
POST_NAME = "/visits/[id]/new/ (post)"
PHONE_USER_AGENT = "Mozilla/5.0 (Linux; Android 13) Mobile"


class Staff(HttpUser):
    abstract = True
    # People reading: on average THINK seconds between pages, spread evenly around it.
    wait_time = between(0, 2 * THINK) if THINK else constant(0)
    role = ""
    accounts: itertools.cycle = itertools.cycle([])

    def on_start(self) -> None:
        username, session = next(self.accounts)
        self.client.cookies.set("sessionid", session)
        self.pages = CAST["pages"][self.role]
        self.household, days = CAST["households"].get(username, (None, []))
        self.days = DAYS.setdefault(username, iter(days))
        self.step = 0
        if self.household:
            self.client.headers["User-Agent"] = PHONE_USER_AGENT

    @task
    def next_page(self) -> None:
        self.step += 1
        if self.household and self.step % 3 == 0 and self.post_visit():
            return
        self.client.get(self.pages[self.step % len(self.pages)])

    def post_visit(self) -> bool:
        """Open the form and post a phone contact; False once the account has used every free
        day still open to entry (a visit of a closed period would be refused)."""
        day = next(self.days, None)
        if day is None:
            return False
        path = f"/visits/{self.household}/new/"
        self.client.get(path, name="/visits/[id]/new/")  # the form (and its CSRF cookie)
        form = {
            "kind": "电话",
            "on": day,
            "content": VISIT_TEXT,
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
        }
        SENT[0] += 1  # before it goes: a post cut off when the run stops may still be stored
        with self.client.post(
            path, form, name=POST_NAME, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:  # the form again: the visit was not stored
                response.failure(f"visit not stored: {response.status_code}")
        return True


# The free days left per account, shared by the people taking turns on one account.
DAYS: dict[str, Iterator[str]] = {}
SENT = [0]  # visits posted, answered or not


@events.test_stop.add_listener
def _write_sent(**_kwargs: object) -> None:
    Path(os.environ["LOAD_SENT"]).write_text(str(SENT[0]), encoding="utf-8")


for _index, (_role, _accounts) in enumerate(CAST["accounts"].items()):
    if _accounts:
        _name = f"Role{_index}"
        globals()[_name] = type(
            _name,
            (Staff,),
            {
                "role": _role,
                "weight": len(_accounts),
                "accounts": itertools.cycle(_accounts),
                "__module__": __name__,
            },
        )
