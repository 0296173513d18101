"""Which department answers for what, under 西发〔2019〕33号 (data, not logic).

- `MEASURE_DEPARTMENTS`: the default department of each 一户一策 measure kind (arts. 34, 38 name
  the measures; the articles below name who carries them out).
- `ASSESSMENT_DEPARTMENTS`: for each item of 一达标、两不愁、三保障, the department (and the
  article) that answers when the item is not met.

Choices made where the regulation leaves room:
- income (一达标) → 扶贫办 (art. 7: plans, industry projects, and the registry);
- food and clothing (两不愁) → 民政科 (art. 15: 低保 "应保尽保" and 救急难 are what keeps a
  household fed and clothed when its income falls short);
- 孝善养老 and 邻里互助 → 扶贫办 (art. 7 leads both); 扶贫专岗 → 扶贫办 (art. 7, projects);
- 高龄补贴, 临时救助, 低保五保 → 民政科 (art. 15, "各类保障性补贴" and 救急难);
- 残疾人补贴 → 残联 (art. 17, 两项补贴);
- 教育资助, 雨露计划 → 西岗学区 (art. 13);
- 居住环境提升 → 村建办 (art. 11);
- 产业扶贫 → 农业办 (art. 23); 就业扶贫 → 人力资源和社会保障所 (art. 14).
"""

from households.models import Assessment, HelpMeasure

MEASURE_DEPARTMENTS: dict[str, str] = {
    HelpMeasure.Kind.FILIAL: "扶贫办",
    HelpMeasure.Kind.NEIGHBOUR: "扶贫办",
    HelpMeasure.Kind.POST: "扶贫办",
    HelpMeasure.Kind.HOUSING_ENV: "村建办",
    HelpMeasure.Kind.TEMPORARY: "民政科",
    HelpMeasure.Kind.DISABILITY: "残联",
    HelpMeasure.Kind.SUBSISTENCE: "民政科",
    HelpMeasure.Kind.ELDERLY: "民政科",
    HelpMeasure.Kind.EDUCATION: "西岗学区",
    HelpMeasure.Kind.YULU: "西岗学区",
    HelpMeasure.Kind.INDUSTRY: "农业办",
    HelpMeasure.Kind.EMPLOYMENT: "人力资源和社会保障所",
}

# item -> (department name, article number)
ASSESSMENT_DEPARTMENTS: dict[str, tuple[str, int]] = {
    Assessment.Item.INCOME: ("扶贫办", 7),
    Assessment.Item.FOOD: ("民政科", 15),
    Assessment.Item.CLOTHING: ("民政科", 15),
    Assessment.Item.EDUCATION: ("西岗学区", 13),
    Assessment.Item.MEDICAL: ("卫生院", 12),
    Assessment.Item.HOUSING: ("村建办", 11),
    Assessment.Item.WATER: ("水利站", 26),
}
