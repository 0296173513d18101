"""The core knows no app: `xigang/` imports none of the apps, which plug into its registries.

Each business app declares what it brings in its own modules (docs/architecture.md): row
filters and public models (`scopes.py`), obligation rules (`rules.py`), ledger kinds
(`ledgers.py`), demo builders (`demo.py`); its AppConfig mixes in `xigang.apps.BusinessApp`.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from xigang import demo, obligations, scope
from xigang.apps import business_apps
from xigang.scope import visible

CORE = Path(settings.BASE_DIR) / "xigang"
# The entry points that wire the project together may name the apps.
EXEMPT = {CORE / "settings.py", CORE / "urls.py", CORE / "management"}
IMPORTERS = {"import_module", "import_string"}


def _project_apps() -> set[str]:
    """The apps of this repository other than the core (duties, households, ..., dashboard)."""
    base = Path(settings.BASE_DIR)
    return {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).parent == base and config.name != "xigang"
    }


def _imported_names(tree: ast.AST):
    """(line, dotted name) of every import in a module, at any depth, including
    `import_module("...")` / `import_string("...")` with a literal name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if called in IMPORTERS and isinstance(first, ast.Constant):
                yield node.lineno, str(first.value)


def _core_modules() -> list[Path]:
    return [
        path
        for path in sorted(CORE.rglob("*.py"))
        if not any(path == exempt or exempt in path.parents for exempt in EXEMPT)
    ]


def test_it_knows_the_apps_it_checks():
    assert {"duties", "households", "visits", "oversight", "dashboard"} <= _project_apps()
    assert CORE / "scope.py" in _core_modules()
    assert CORE / "security" / "middleware.py" in _core_modules()
    assert CORE / "management" / "commands" / "seed_demo.py" not in _core_modules()


def test_the_core_imports_no_app():
    app_names = _project_apps()
    found = []
    for path in _core_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported_names(tree):
            if name.split(".")[0] in app_names:
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{line} imports {name}")
    assert not found, "the core must not import the apps:\n" + "\n".join(found)


def test_the_import_check_sees_every_form_of_import():
    source = (
        "import duties\n"
        "import visits.models as vm\n"
        "from households.models import Household\n"
        "from . import scope\n"
        "def f():\n"
        "    from oversight import rules\n"
        "    import_module('dashboard.views')\n"
    )
    names = [name for _line, name in _imported_names(ast.parse(source))]
    assert sorted(names) == [
        "dashboard.views",
        "duties",
        "households.models",
        "oversight",
        "visits.models",
    ]


def test_every_app_with_models_is_a_business_app():
    business = {config.name for config in business_apps()}
    with_models = {name for name in _project_apps() if list(apps.get_app_config(name).get_models())}
    assert with_models <= business


def test_every_model_of_the_business_apps_declares_its_scope():
    missing = [
        model._meta.label_lower
        for config in business_apps()
        for model in config.get_models()
        if not scope.declared(model._meta.label_lower)
    ]
    assert not missing, (
        "give these models a row filter (scope.register_rows) or declare them public "
        "(scope.register_public) in their app's scopes.py: " + ", ".join(missing)
    )


def test_every_declared_scope_names_an_installed_model():
    labels = set(scope._PUBLIC) | set(scope._ROW_FILTERS)
    installed = {model._meta.label_lower for model in apps.get_models()}
    assert labels <= installed


def test_a_scope_is_declared_once():
    with pytest.raises(ImproperlyConfigured):
        scope.register_public("households.household")
    with pytest.raises(ImproperlyConfigured):
        scope.register_rows("duties.article", scope.no_rows)


@pytest.mark.django_db
def test_a_model_whose_row_filter_is_missing_shows_scoped_users_no_rows(
    monkeypatch, cast, east_household, west_household
):
    from households.models import Household

    monkeypatch.delitem(scope._ROW_FILTERS, "households.household")
    seen = {name: visible(user, Household.objects.all()).count() for name, user in cast.items()}
    assert seen == {
        "leader": 2,
        "office": 2,
        "inspector": 2,
        "dept": 0,
        "east_cadre": 0,
        "west_cadre": 0,
        "pairing": 0,
        "outsider": 0,
    }


@pytest.mark.django_db
def test_a_model_declared_by_no_app_shows_scoped_users_no_rows(cast):
    from xigang.models import AuditEntry

    assert not scope.declared("xigang.auditentry")
    assert AuditEntry.objects.exists()  # the cast's creation is in the change history
    seen = {name: visible(user, AuditEntry.objects.all()).exists() for name, user in cast.items()}
    assert seen == {
        "leader": True,
        "office": True,
        "inspector": True,
        "dept": False,
        "east_cadre": False,
        "west_cadre": False,
        "pairing": False,
        "outsider": False,
    }


def test_the_dashboard_shows_the_rules_in_their_order():
    assert [rule.id for rule in obligations.rules()] == [
        "pairing.home_visit",
        "pairing.phone_contact",
        "member_change.report",
        "pairing.assigned",
        "assessment.due",
        "assessment.gap",
        "problem.resolve",
        "emergency.aid",
        "plan.exists",
        "plan.review",
        "measure.deliver",
        "finding.rectify",
        "duty.scheduled",
        "disclosure.post",
        "first_secretary.dispatch",
        "first_secretary.spot_check",
        "project.notice_start",
        "project.notice_finish",
        "project.acceptance",
        "asset.distribution",
    ]


def test_every_rule_names_itself_in_chinese(settings):
    """A rule carries its own short name: nothing outside its app lists the rules' names."""
    from django.utils import translation

    with translation.override("zh-hans"):
        labels = {rule.id: obligations.rule_label(rule.id) for rule in obligations.rules()}
    assert labels["pairing.home_visit"] == "每季度入户走访"
    for rule_id, label in labels.items():
        assert label != rule_id and not label.isascii(), (rule_id, label)


def test_the_demo_builders_run_in_dependency_order():
    # The names also seed each builder's random generator: renaming one changes its data.
    assert [name for name, _builder in demo.builders()] == [
        "duties.demo",
        "households.demo",
        "visits.demo",
        "duties.schedule_demo",
        "projects.demo",
    ]
