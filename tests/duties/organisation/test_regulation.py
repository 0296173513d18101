"""The regulation and the units it charges, as a plain `migrate` leaves them."""

import pytest
from django.contrib.auth.models import Group

from duties.models import Article, Department, Duty
from xigang import roles

pytestmark = pytest.mark.django_db

ART_39 = (
    "经常深入贫困家庭，每季度入户不少于1次，每月电话联系不少于1次。主要围绕宣传扶贫政策、"
    "发现解决问题、进行帮扶救助等方面开展工作，对贫困户“一达标、两不愁、三保障”方面的问题准确"
    "了解（重点包括收入结构差距、失能半失能人员照料、残疾人办证、学生资助、重大病救助、危房改造、"
    "裂缝漏雨房屋维修情况），协调解决落实，按要求及时、规范填写帮扶记录，确保帮扶效果。"
)

# Every unit the regulation charges, with the articles that charge it.
UNITS = {
    "镇党委、政府": {3},
    "镇纪委": {4, 41, 43},
    "组织科": {5, 42},
    "宣传科": {6},
    "扶贫办": {7, 8},
    "财政所": {8},
    "审计所": {9},
    "经管站": {10},
    "村建办": {11},
    "卫生院": {12},
    "西岗学区": {13},
    "人力资源和社会保障所": {14},
    "民政科": {15, 17},
    "慈善分会": {16},
    "残联": {17},
    "团委": {18},
    "妇联": {19},
    "民经办": {20},
    "农村道路管理站": {21},
    "招商分局": {22},
    "农业办": {23},
    "林果站": {24},
    "畜牧兽医站": {25},
    "水利站": {26},
    "文化站": {27},
    "广播电视站": {28},
    "国土资源所": {29},
    "司法所": {30},
    "供电所": {20, 31},
    "督查科": {41},
}


def test_it_loads_45_articles_in_6_chapters():
    assert Article.objects.count() == 45
    assert sorted(set(Article.objects.values_list("chapter", flat=True))) == [1, 2, 3, 4, 5, 6]
    assert Article.objects.get(number=39).chapter_title == "帮扶责任人责任"


def test_it_keeps_the_exact_text_of_article_39():
    article = Article.objects.get(number=39)
    assert article.text == ART_39
    assert article.label == "第三十九条"


def test_it_has_every_unit_linked_to_the_articles_that_charge_it():
    linked = {
        d.name: {a.number for a in d.articles.all()}
        for d in Department.objects.prefetch_related("articles")
    }
    assert linked == UNITS


def test_every_article_from_3_to_31_is_charged_to_a_unit():
    charged = set(Department.articles.through.objects.values_list("article_id", flat=True))
    assert set(range(3, 32)) <= charged
    assert 41 in charged


def test_it_has_duties_for_every_article_from_3_to_31_each_charged_to_a_unit():
    town = Duty.objects.filter(article__number__range=(3, 31))
    assert set(town.values_list("article_id", flat=True)) == set(range(3, 32))
    assert not town.filter(department__isnull=True).exists()


def test_article_13_holds_several_separate_duties_of_the_school_district():
    duties = Duty.objects.filter(article_id=13)
    assert duties.count() >= 5
    assert set(duties.values_list("department__name", flat=True)) == {"西岗学区"}
    assert len(set(duties.values_list("text", flat=True))) == duties.count()


def test_village_and_pairing_duties_belong_to_their_level_not_a_department():
    assert set(
        Duty.objects.filter(article__number__range=(32, 36)).values_list("level", flat=True)
    ) == {Duty.Level.VILLAGE}
    assert set(
        Duty.objects.filter(article__number__range=(37, 40)).values_list("level", flat=True)
    ) == {Duty.Level.PAIRING}


def test_it_creates_the_six_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)
