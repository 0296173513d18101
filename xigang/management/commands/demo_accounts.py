from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from duties.demo import demo_account_rows


class Command(BaseCommand):
    help = "Print the demo accounts loaded by seed_demo: role, user name, password, scope."

    def handle(self, *args, **options):
        rows = demo_account_rows()
        if not rows:
            self.stdout.write(_("No demo accounts: run seed_demo first."))
            return
        self.stdout.write(_("Demo accounts (sign in at http://127.0.0.1:8000/accounts/login/):"))
        headers = (_("role"), _("user name"), _("password"), _("scope"))
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]
        for row in [headers, *rows]:
            self.stdout.write(
                "  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
            )
