"""Default schedules of the duties of arts. 3-31 and 33-36, as a town office keeps them.

(article, clause) -> (frequency, due day, evidence expected, why). Due day: the day of the
period by which it is due counted from the period's first day (1 = the first day), None = the
period's last day. Loaded by the `load_default_schedules` migration, effective from the day the
regulation came into force; `docs/duty-schedules.md` is generated from this table.

Art. 32 (village information and member changes) is followed by the `member_change.report`
rule and arts. 37-40 by the pairing rules, so they carry no schedule here.
"""

from xigang.obligations import REGULATION_START

ONCE, MONTHLY, QUARTERLY, HALF, YEARLY, EVENT = (
    "once",
    "monthly",
    "quarterly",
    "half-yearly",
    "yearly",
    "on-event",
)
EFFECTIVE_FROM = REGULATION_START  # the default schedules start with the regulation

DEFAULT_SCHEDULES: dict[tuple[int, int], tuple[str, int | None, str, str]] = {
    # art. 3 镇党委、政府
    (3, 1): (
        YEARLY,
        90,
        "年度脱贫攻坚工作计划（党委会议纪要）",
        "the year's plan is set in the first quarter",
    ),
    (3, 2): (
        YEARLY,
        None,
        "年度人财物资源配置情况报告",
        "resources are reviewed once a year with the budget",
    ),
    (3, 3): (YEARLY, 31, "扶贫专干配备名单", "staffing is confirmed at the start of each year"),
    (3, 4): (
        HALF,
        None,
        "专项、行业、社会扶贫半年工作总结",
        "half-yearly summaries are what the county asks for",
    ),
    (3, 5): (
        QUARTERLY,
        None,
        "季度政策落实调度会议纪要",
        "policies are followed up at a quarterly dispatch meeting",
    ),
    # art. 4 镇纪委
    (4, 1): (QUARTERLY, None, "季度监督执纪问责情况报告", "discipline work is reported quarterly"),
    (4, 2): (
        HALF,
        None,
        "扶贫领域专项整治工作报告",
        "special rectification campaigns run by half-year",
    ),
    # art. 5 组织科
    (5, 1): (
        QUARTERLY,
        None,
        "第一书记季度工作考核记录",
        "first secretaries are assessed each quarter",
    ),
    (5, 2): (
        MONTHLY,
        None,
        "月度调度记录、随机抽查记录",
        "the article asks for regular dispatching and spot checks",
    ),
    (5, 3): (EVENT, 30, "批评、追究责任的通报", "only when someone is found neglecting the work"),
    # art. 6 宣传科
    (6, 1): (
        QUARTERLY,
        None,
        "典型事例宣传报道（稿件、截图）",
        "one round of reports each quarter keeps the publicity steady",
    ),
    (6, 2): (ONCE, 90, "扶贫领域舆情应急处置预案", "a mechanism is set up once, then used"),
    # art. 7 扶贫办
    (7, 1): (YEARLY, 90, "年度脱贫攻坚规划及产业项目计划", "the plan precedes the year's projects"),
    (7, 2): (
        YEARLY,
        None,
        "建档立卡信息采集及动态调整台账",
        "the registry is updated in the yearly dynamic adjustment",
    ),
    (7, 3): (HALF, None, "培训通知、签到表、照片", "training is held at least twice a year"),
    (7, 4): (HALF, None, "邻里互助服务台账", "the mutual-help ledger is checked each half-year"),
    (7, 5): (QUARTERLY, None, "孝善扶贫台账", "filial-support funds are paid quarterly"),
    (7, 6): (QUARTERLY, None, "扶贫项目监管检查记录", "projects are inspected each quarter"),
    # art. 8 财政所
    (8, 1): (
        YEARLY,
        31,
        "年度预算（专项扶贫资金科目）",
        "the budget is adopted at the start of the year",
    ),
    (8, 2): (YEARLY, 90, "财政专项扶贫资金年度使用计划", "the spending plan follows the budget"),
    (8, 3): (
        QUARTERLY,
        None,
        "扶贫专项资金拨付凭证",
        "funds are paid out in quarterly instalments",
    ),
    (8, 4): (HALF, None, "财政专项资金监督检查报告", "a joint check each half-year"),
    # art. 9 审计所
    (9, 1): (HALF, None, "跟踪审计报告", "follow-up audits report by half-year"),
    (9, 2): (YEARLY, None, "扶贫资金督导检查报告", "one supervisory check of the funds a year"),
    # art. 10 经管站
    (10, 1): (
        YEARLY,
        90,
        "扶贫资产管护台账（年度更新）",
        "the asset ledger is set up, then updated each year",
    ),
    (10, 2): (
        YEARLY,
        None,
        "扶贫资产保值增值情况报告",
        "asset value is reported with the year's accounts",
    ),
    # art. 11 村建办
    (11, 1): (
        YEARLY,
        180,
        "危房等级鉴定报告",
        "houses are assessed once a year before the rebuilding season",
    ),
    (11, 2): (QUARTERLY, None, "危房改造进度表", "rebuilding progress is followed quarterly"),
    (11, 3): (QUARTERLY, None, "危房改造台账及督导记录", "the ledger is kept current each quarter"),
    (11, 4): (HALF, None, "危房改造验收记录", "acceptance inspections are batched by half-year"),
    # art. 12 卫生院
    (12, 1): (
        QUARTERLY,
        None,
        "“八个一”健康扶贫工作台账",
        "health services are reported quarterly",
    ),
    (12, 2): (
        QUARTERLY,
        None,
        "“两免两减半”“先治疗后付费”减免明细",
        "waivers are totalled quarterly",
    ),
    (12, 3): (MONTHLY, None, "“一站式”结算月报表", "settlement runs monthly"),
    (12, 4): (QUARTERLY, None, "医疗救助、特惠保险补助发放明细", "subsidies are paid quarterly"),
    # art. 13 西岗学区
    (13, 1): (HALF, None, "贫困家庭学生信息核实表", "student data are checked each semester"),
    (13, 2): (
        YEARLY,
        273,
        "贫困家庭学生信息档案",
        "files are renewed at the start of the school year (30 Sept)",
    ),
    (13, 3): (HALF, None, "控辍保学台账", "drop-outs are checked each semester"),
    (13, 4): (YEARLY, 273, "特殊儿童单独管理台账", "renewed with the school year"),
    (13, 5): (HALF, None, "教育扶贫资助名单", "aid lists are drawn each semester"),
    (13, 6): (HALF, None, "资助资金发放凭证", "aid is paid each semester"),
    # art. 14 人力资源和社会保障所
    (14, 1): (HALF, None, "贫困人口对标梳理表", "checked against the registry each half-year"),
    (14, 2): (
        YEARLY,
        None,
        "医保个人缴费代缴名单及系统录入截图",
        "contributions are collected once a year",
    ),
    (14, 3): (QUARTERLY, None, "医保报销资金拨付凭证", "reimbursements are paid quarterly"),
    # art. 15 民政科
    (15, 1): (QUARTERLY, None, "低保与建档立卡对比核查表", "the two lists are compared quarterly"),
    (15, 2): (MONTHLY, None, "保障性补贴发放明细", "allowances are paid monthly"),
    (15, 3): (
        EVENT,
        7,
        "救急难台账及救助凭证",
        "each emergency case (also followed by the emergency.aid rule)",
    ),
    (15, 4): (QUARTERLY, None, "舆情研判记录", "public opinion is reviewed quarterly"),
    # art. 16 慈善分会
    (16, 1): (YEARLY, None, "募捐活动记录", "a fund-raising campaign a year (慈心一日捐)"),
    (16, 2): (HALF, None, "救助、慰问记录", "relief is given at festivals twice a year"),
    (16, 3): (HALF, None, "社会活动记录（重点向建档立卡贫困人口倾斜）", "reported with the relief"),
    # art. 17 残联
    (17, 1): (HALF, None, "残疾等级鉴定及办证台账", "assessments are organised twice a year"),
    (17, 2): (QUARTERLY, None, "两项补贴资格审核名单", "eligibility is reviewed quarterly"),
    (17, 3): (QUARTERLY, None, "两项补贴发放明细", "paid with the quarterly review"),
    (17, 4): (YEARLY, None, "残疾人就业创业扶贫项目材料", "one round of projects a year"),
    (17, 5): (HALF, None, "残疾人教育、就业、康复等工作记录", "reported each half-year"),
    # art. 18 团委
    (18, 1): (YEARLY, None, "电子商务培训材料", "one training a year"),
    (18, 2): (ONCE, 180, "“青年之家”设立材料", "set up once"),
    (18, 3): (HALF, None, "“金晖助老”补助发放明细", "paid twice a year"),
    # art. 19 妇联
    (19, 1): (HALF, None, "“贫困母亲”救助资金发放明细", "relief is paid twice a year"),
    (19, 2): (HALF, None, "巾帼志愿者帮扶活动记录", "reported each half-year"),
    (19, 3): (YEARLY, None, "贫困母亲技能培训材料", "one training a year"),
    # art. 20 民经办
    (20, 1): (ONCE, 90, "光伏扶贫实施方案", "a plan drawn once"),
    (20, 2): (YEARLY, None, "配套电网规划建设配合材料", "reviewed once a year"),
    (20, 3): (YEARLY, 90, "光伏扶贫项目库及项目方案", "the project library is updated each year"),
    (20, 4): (HALF, None, "光伏项目补贴资金发放材料", "subsidies arrive in two batches"),
    # art. 21 农村道路管理站
    (21, 1): (YEARLY, None, "“户户通”年度建设台账", "road building is planned yearly"),
    (21, 2): (MONTHLY, None, "道路养护巡查记录", "daily maintenance is logged monthly"),
    # art. 22 招商分局
    (22, 1): (HALF, None, "网店网络资费、电费补助发放明细", "subsidies are paid twice a year"),
    (22, 2): (YEARLY, None, "电商技能培训材料", "one training a year"),
    (22, 3): (YEARLY, None, "电商示范村、电商企业培育材料", "reviewed yearly"),
    # art. 23 农业办
    (23, 1): (YEARLY, None, "特色农产品保险参保台账", "insurance is taken out once a year"),
    (23, 2): (HALF, None, "小麦、玉米政策性保险参保名单及保单", "one crop each half-year"),
    # art. 24 林果站
    (24, 1): (QUARTERLY, None, "林果技术指导记录", "guidance follows the growing season"),
    (24, 2): (YEARLY, None, "种苗基地建设材料", "reviewed yearly"),
    # art. 25 畜牧兽医站
    (25, 1): (QUARTERLY, None, "养殖技术指导、咨询服务记录", "guidance is logged quarterly"),
    (25, 2): (HALF, None, "春防、秋防疫病防控记录", "spring and autumn vaccination campaigns"),
    # art. 26 水利站
    (26, 1): (YEARLY, None, "自来水管网改造台账", "works are planned yearly"),
    (26, 2): (QUARTERLY, None, "饮水安全巡查及水质检测记录", "water safety is checked quarterly"),
    # art. 27 文化站
    (27, 1): (YEARLY, None, "文化活动设施建设台账", "reviewed yearly"),
    (27, 2): (YEARLY, None, "农家书屋书籍更新清单", "the books are renewed each year"),
    (27, 3): (HALF, None, "健身器材维护记录", "equipment is inspected twice a year"),
    # art. 28 广播电视站
    (28, 1): (YEARLY, None, "数字广播电视入户台账", "coverage is reported yearly"),
    # art. 29 国土资源所
    (29, 1): (YEARLY, None, "扶贫设施用地保障台账", "land use is reported yearly"),
    (29, 2): (YEARLY, None, "扶贫经营主体用地保障台账", "land use is reported yearly"),
    (29, 3): (ONCE, 365, "贫困村土地整治规划", "a plan drawn once"),
    # art. 30 司法所
    (30, 1): (QUARTERLY, None, "法律援助台账", "aid cases are reported quarterly"),
    (30, 2): (MONTHLY, None, "矛盾纠纷排查调处台账", "disputes are screened monthly"),
    # art. 31 供电所
    (31, 1): (QUARTERLY, None, "光伏电费结算及补贴明细", "electricity is settled quarterly"),
    (31, 2): (HALF, None, "“低保户”“五保户”用电优惠名单", "the lists are updated twice a year"),
    # art. 33 村（居）
    (33, 1): (
        YEARLY,
        90,
        "村（居）脱贫实施计划及扶贫项目实施方案",
        "the plan precedes the year's projects",
    ),
    (33, 2): (HALF, None, "项目申报、建设、验收材料", "projects are reported each half-year"),
    (33, 3): (HALF, None, "“雨露计划”摸底调查表", "surveyed each semester"),
    (33, 4): (YEARLY, None, "扶贫资产登记及收益分配台账", "income is distributed once a year"),
    # art. 34 村（居）
    (34, 1): (YEARLY, 90, "一户一策帮扶措施", "plans are renewed each year"),
    (34, 2): (
        QUARTERLY,
        None,
        "已脱贫户跟踪回访记录",
        "followed up quarterly, like pairing visits",
    ),
    (34, 3): (YEARLY, None, "差异化收益分配方案", "income is distributed once a year"),
    (34, 4): (QUARTERLY, None, "“老病残”重点户帮扶记录", "key households are visited quarterly"),
    (34, 5): (
        HALF,
        None,
        "调查摸底、村居研究、公示、审批、告知材料",
        "measures are decided in two rounds a year",
    ),
    # art. 35 村（居）
    (35, 1): (
        QUARTERLY,
        None,
        "公示公告照片（另见公示记录）",
        "at least one round of notices a quarter",
    ),
    (35, 2): (YEARLY, None, "民主评议记录及档案资料", "the democratic appraisal is held yearly"),
    # art. 36 村（居）
    (36, 1): (
        QUARTERLY,
        None,
        "党建活动记录（“三会一课”）",
        "party branch meetings are held quarterly",
    ),
    (36, 2): (YEARLY, None, "基础设施及文化服务建设台账", "reviewed yearly"),
    (36, 3): (HALF, None, "扶贫产业项目及政策落实情况", "reported each half-year"),
}


def scheduled_articles() -> list[int]:
    return [*range(3, 32), *range(33, 37)]
