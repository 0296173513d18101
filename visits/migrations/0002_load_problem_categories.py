"""The problem categories art. 39 names, each routed to the department that answers for it.

The mapping is data: 扶贫办 edits it in the admin; this migration only gives the starting set.
"""

from django.db import migrations

# (category, department, article)
CATEGORIES = [
    ("危房改造", "村建办", 11),
    ("裂缝漏雨房屋维修", "村建办", 11),
    ("重大病救助", "卫生院", 12),
    ("学生资助", "西岗学区", 13),
    ("医疗保险代缴", "人力资源和社会保障所", 14),
    ("低保五保", "民政科", 15),
    ("临时救助", "民政科", 15),
    ("残疾人办证", "残联", 17),
    ("残疾人护理和生活补贴", "残联", 17),
    ("道路出行", "农村道路管理站", 21),
    ("饮水安全", "水利站", 26),
    ("法律援助", "司法所", 30),
    ("赡养纠纷", "司法所", 30),
    ("用电优惠", "供电所", 31),
    ("失能半失能人员照料", "扶贫办", 7),
    ("收入结构差距", "扶贫办", 7),
]


def load(apps, schema_editor):
    Department = apps.get_model("duties", "Department")
    ProblemCategory = apps.get_model("visits", "ProblemCategory")
    departments = {d.name: d for d in Department.objects.all()}
    for name, department, article in CATEGORIES:
        ProblemCategory.objects.update_or_create(
            name=name,
            defaults={"department": departments[department], "article_id": article},
        )


def unload(apps, schema_editor):
    ProblemCategory = apps.get_model("visits", "ProblemCategory")
    Problem = apps.get_model("visits", "Problem")
    used = Problem.objects.values("category_id")
    ProblemCategory.objects.filter(name__in=[c[0] for c in CATEGORIES]).exclude(
        pk__in=used
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0001_initial"),
        ("duties", "0002_load_regulation"),
    ]

    operations = [migrations.RunPython(load, unload)]
