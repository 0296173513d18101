from typing import Any

from django.core.management.base import BaseCommand

from duties.organisation.demo import demo_accounts_lines


class Command(BaseCommand):
    help = "Print the demo accounts loaded by seed_demo: role, user name, password, scope."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in demo_accounts_lines():
            self.stdout.write(line)
