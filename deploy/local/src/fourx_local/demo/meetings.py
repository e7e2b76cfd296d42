"""Demo step of the meetings service ("4" and "X"): a district's month through its HTTP API.

The organisation directory is imported; the current month's activity day is scheduled (first
Friday, moved past a statutory holiday); units propose topics inside the solicitation window
and the Party-building office selects them; every community's secretary reports, the street
organisation committee members comment, department leaders assign tasks, the deputy head
sums up; the day is closed (after one refused attempt that says what is missing); a
collective diagnosis records what it decided. The service's per-district clock is set so the
month plays out in order, then given back to the real date.

Then the X activities the figures count (an experience sharing by two secretaries, a study
visit to two places, a site observation of two communities) and the linkage mechanism: two
suggestions, one adopted into a work requirement and a supervision item, one declined.

Facts left for later steps: directory, activity_day_date, meeting_id, people (ids by role),
tasks, diagnosis, suggestion.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from fourx_local.demo.context import DemoContext
from fourx_local.demo.failure import http_error
from fourx_local.tokens import DEMO_OPERATOR

STREETS = [("s-gulou", "鼓楼街道"), ("s-hualin", "华林街道")]
COMMUNITIES = [
    ("c-dongjie", "s-gulou", "东街社区"), ("c-nanmen", "s-gulou", "南门社区"), ("c-shuiku", "s-gulou", "水部社区"),
    ("c-pingshan", "s-hualin", "屏山社区"), ("c-wenquan", "s-hualin", "温泉社区"), ("c-huayuan", "s-hualin", "花园社区"),
]
DEPARTMENTS = [("d-minzheng", "区民政局"), ("d-zhujian", "区住建局"), ("d-chengguan", "区城管局")]
# person id, name, e-mail local part, roles, unit
PEOPLE: list[tuple[str, str, str, list[str], tuple[str, str]]] = [
    ("p-deputy-head", "林晓红", "lin.xiaohong", ["org_deputy_head"], ("district", "demo")),
    ("p-office-1", "陈志强", "chen.zhiqiang", ["party_office"], ("district", "demo")),
    ("p-office-2", "黄丽娟", "huang.lijuan", ["party_office"], ("district", "demo")),
    # streets: secretary, deputy secretary, organisation committee member
    ("p-gulou-sec", "郑建国", "zheng.jianguo", ["street_secretary"], ("street", "s-gulou")),
    ("p-gulou-dep", "吴海燕", "wu.haiyan", ["street_deputy_secretary"], ("street", "s-gulou")),
    ("p-gulou-org", "王磊", "wang.lei", ["street_org_member"], ("street", "s-gulou")),
    ("p-hualin-sec", "刘国华", "liu.guohua", ["street_secretary"], ("street", "s-hualin")),
    ("p-hualin-dep", "许婷", "xu.ting", ["street_deputy_secretary"], ("street", "s-hualin")),
    ("p-hualin-org", "张敏", "zhang.min", ["street_org_member"], ("street", "s-hualin")),
    # community Party committee secretaries
    ("p-dongjie-sec", "李秀英", "li.xiuying", ["community_secretary"], ("community", "c-dongjie")),
    ("p-nanmen-sec", "赵永强", "zhao.yongqiang", ["community_secretary"], ("community", "c-nanmen")),
    ("p-shuiku-sec", "周芳", "zhou.fang", ["community_secretary"], ("community", "c-shuiku")),
    ("p-pingshan-sec", "孙志明", "sun.zhiming", ["community_secretary"], ("community", "c-pingshan")),
    ("p-wenquan-sec", "马丽", "ma.li", ["community_secretary"], ("community", "c-wenquan")),
    ("p-huayuan-sec", "朱文斌", "zhu.wenbin", ["community_secretary"], ("community", "c-huayuan")),
    # departments: main leader, responsible leader, section chief
    ("p-minzheng-main", "何建平", "he.jianping", ["dept_main_leader"], ("department", "d-minzheng")),
    ("p-minzheng-lead", "高晓东", "gao.xiaodong", ["dept_responsible_leader"], ("department", "d-minzheng")),
    ("p-minzheng-chief", "罗静", "luo.jing", ["dept_section_chief"], ("department", "d-minzheng")),
    ("p-zhujian-main", "梁伟", "liang.wei", ["dept_main_leader"], ("department", "d-zhujian")),
    ("p-zhujian-lead", "宋涛", "song.tao", ["dept_responsible_leader"], ("department", "d-zhujian")),
    ("p-zhujian-chief", "唐雪", "tang.xue", ["dept_section_chief"], ("department", "d-zhujian")),
    ("p-chengguan-main", "韩立新", "han.lixin", ["dept_main_leader"], ("department", "d-chengguan")),
    ("p-chengguan-lead", "冯刚", "feng.gang", ["dept_responsible_leader"], ("department", "d-chengguan")),
    ("p-chengguan-chief", "邓琳", "deng.lin", ["dept_section_chief"], ("department", "d-chengguan")),
]
REPORTS = {
    "c-dongjie": ("完成 3 个老旧小区加装电梯入户摸底，召开居民议事会 2 场", "推进 2 部电梯开工，建立加梯协调小组"),
    "c-nanmen": ("垃圾分类督导员上岗 40 人次，分类准确率提升至 85%", "完善撤桶并点后的督导排班"),
    "c-shuiku": ("开展独居老人走访 120 户，建立关爱台账", "启动社区助餐点选址"),
    "c-pingshan": ("整治背街小巷乱停车 2 处，新增临时车位 30 个", "协调机关单位错时共享停车"),
    "c-wenquan": ("完成温泉片区管网改造意见征集", "配合住建部门组织管网改造施工告知"),
    "c-huayuan": ("成立“红色物业”联盟，3 家物业企业签约", "推动物业服务评价上墙公示"),
}
COMMENTS = {
    "c-dongjie": "加梯摸底扎实，下一步要把协调小组建到楼栋。",
    "c-nanmen": "督导排班有亮点，要防止“一阵风”。",
    "c-shuiku": "关爱台账要动态更新，助餐点选址请民政局提前介入。",
    "c-pingshan": "停车问题抓得准，建议纳入集体会诊。",
    "c-wenquan": "意见征集覆盖面还要扩大，尤其是租户。",
    "c-huayuan": "“红色物业”联盟要有考核，不能只签约。",
}


async def _ok(response: httpx.Response, *codes: int) -> Any:
    if response.status_code not in (codes or (200, 201)):
        raise RuntimeError(http_error(response))
    return response.json()


DEMO_CITY = "demo-fuzhou"


def build_directory(ctx: DemoContext) -> dict[str, Any]:
    # Without a receiver, its address anyway: the one internal webhook target dev mode allowlists.
    webhook = ctx.facts.get("webhook_url") or ctx.facts.get("webhook") or "http://127.0.0.1:8026/fourx-demo-webhook"
    people = []
    for person_id, name, mail, roles, (kind, unit_id) in PEOPLE:
        channels: list[dict[str, Any]] = [{"kind": "email", "address": f"{mail}@example.test"}, {"kind": "in_app"}]
        if kind in ("street", "department") or "party_office" in roles:
            channels.append({"kind": "webhook", "url": f"{webhook}"})
        people.append({"person_id": person_id, "name": name, "roles": roles,
                       "unit": {"kind": kind, "id": ctx.district if kind == "district" else unit_id},
                       "channels": channels})
    return {
        "district_name": "鼓楼区",
        "venue": "鼓楼区党群服务中心三楼报告厅",
        # The city level (市级总览) lists the districts whose directory names the city.
        "city": DEMO_CITY,
        "streets": [{"street_id": s, "name": n} for s, n in STREETS],
        "communities": [{"community_id": c, "street_id": s, "name": n} for c, s, n in COMMUNITIES],
        "departments": [{"department_id": d, "name": n} for d, n in DEPARTMENTS],
        "people": people,
    }


def people_by_role(directory: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for person in directory["people"]:
        for role in person["roles"]:
            out.setdefault(role, []).append(person["person_id"])
    return out


def _person(directory: dict[str, Any], role: str, unit_id: str | None = None) -> dict[str, Any]:
    return next(p for p in directory["people"] if role in p["roles"] and (unit_id is None or p["unit"]["id"] == unit_id))


async def run(ctx: DemoContext) -> None:
    d = ctx.district
    directory = build_directory(ctx)
    names = {c: n for c, _, n in COMMUNITIES} | {s: n for s, n in STREETS} | {x: n for x, n in DEPARTMENTS}
    roles_of = {p["person_id"]: p["roles"] for p in directory["people"]}
    office_id = _person(directory, "party_office")["person_id"]

    def as_person(person_id: str) -> httpx.AsyncClient:
        return ctx.client("meetings", person_id, *roles_of[person_id])

    async with as_person(office_id) as office, ctx.client("meetings", DEMO_OPERATOR) as ops:

        async def set_today(today: date | None) -> None:
            await _ok(await ops.put(f"/districts/{d}/clock", json={"today": today.isoformat() if today else None}))

        # 1. The organisation directory.
        ctx.step("导入组织架构：街道、社区、职能部门与人员（角色、联系渠道）")
        imported = await _ok(await office.put(f"/districts/{d}/directory", json=directory))
        counts = imported["counts"]
        ctx.done(f"版本 {imported['version']}：{counts['streets']} 个街道、{counts['communities']} 个社区、"
                 f"{counts['departments']} 个部门、{counts['people']} 名人员（已发布 directory-updated）")
        again = await _ok(await office.put(f"/districts/{d}/directory", json=directory))
        ctx.done(f"再次导入相同内容：{'未产生新版本，不重复发布' if not again['changed'] else '产生了新版本'}")
        ctx.facts["directory"] = directory
        ctx.facts["people"] = people_by_role(directory)

        # 2. This month's activity day.
        ctx.step("排定本月集中活动日（每月第一个星期五，遇法定节假日顺延至下一个工作日）")
        month = date.today().strftime("%Y-%m")
        day = await _ok(await office.post(f"/districts/{d}/activity-days/schedule", json={"month": month}))
        meeting_id, day_date = day["meeting_id"], date.fromisoformat(day["date"])
        moved = f"（{day['first_friday']} 为法定节假日，顺延）" if day["moved_from_first_friday"] else "（当月第一个星期五）"
        ctx.done(f"{meeting_id}：{day['date']}{moved}，地点：{day['venue']}；议题征集截止 {day['topic_deadline']}")
        ctx.facts["meeting_id"] = meeting_id
        ctx.facts["activity_day_date"] = day["date"]

        try:
            await _month(ctx, d, office, as_person, set_today, directory, names, meeting_id, day_date,
                         date.fromisoformat(day["topic_deadline"]))
        finally:
            await set_today(None)  # the service goes back to the real date


async def _month(ctx: DemoContext, d: str, office: httpx.AsyncClient, as_person, set_today,
                 directory: dict[str, Any], names: dict[str, str], meeting_id: str, day_date: date,
                 deadline: date) -> None:
    base = f"/districts/{d}/activity-days/{meeting_id}"

    # 3. Topics.
    ctx.step("议题征集：活动日前一周，各单位提出议题，区委党建办筛选确定")
    await set_today(deadline - timedelta(days=2))
    proposals = [
        ("p-pingshan-sec", "老旧小区停车难如何破解"),
        ("p-dongjie-sec", "加装电梯中低层住户意见分歧的协调办法"),
        ("p-hualin-org", "“红色物业”考核评价机制"),
        ("p-zhujian-lead", "背街小巷管网改造与社区协同"),
    ]
    topic_ids: dict[str, str] = {}
    for person_id, title in proposals:
        async with as_person(person_id) as client:
            proposed = await _ok(await client.post(f"{base}/topics", json={"title": title}))
        topic_ids[title] = proposed["topic_id"]
        ctx.done(f"{_name(directory, person_id)} 提出议题：{title}")
    await set_today(deadline + timedelta(days=1))
    async with as_person("p-nanmen-sec") as late_client:
        late = await late_client.post(f"{base}/topics", json={"title": "截止后提交的议题"})
    ctx.done(f"截止后提交被拒绝（HTTP {late.status_code}）：{_detail(late)}")
    for title in ("老旧小区停车难如何破解", "“红色物业”考核评价机制"):
        await _ok(await office.post(f"{base}/topics/{topic_ids[title]}/select"))
        ctx.done(f"党建办确定议题：{title}")

    # 4. The activity day: the four standing items.
    await set_today(day_date)
    current = await _ok(await office.get(base))
    if current["status"] == "held":
        ctx.done(f"{meeting_id} 已召开并闭会，跳过记录")
    else:
        ctx.step(f"{day_date} 集中活动日 ①社区书记述职：上月工作与下月计划（表单预填督办事项）")
        for community_id, _, name in COMMUNITIES:
            secretary = _person(directory, "community_secretary", community_id)["person_id"]
            async with as_person(secretary) as client:
                form = await _ok(await client.get(f"{base}/reports/{community_id}/form"))
                last, plan = REPORTS[community_id]
                if form["last_month_draft"]:
                    last = f"{last}；督办事项：{form['last_month_draft']}"
                await _ok(await client.put(f"{base}/reports/{community_id}",
                                           json={"last_month": last, "next_month": plan}))
            ctx.done(f"{name}（{_name(directory, secretary)}）：{last} → {plan}")

        ctx.step("②街道组织委员现场点评（先试闭会：系统列出缺少的内容）")
        async with as_person("p-deputy-head") as head:
            attempt = await head.post(f"{base}/close", json={})
        if attempt.status_code == 409:
            missing = attempt.json()["detail"]["missing"]
            ctx.done(f"闭会被拒绝：缺点评 {len(missing['comments'])} 个社区"
                     f"（{'、'.join(c['name'] for c in missing['comments'])}），"
                     f"{'缺少副部长总结' if missing['summary'] else '总结已有'}")
        for community_id, street_id, name in COMMUNITIES:
            member = _person(directory, "street_org_member", street_id)["person_id"]
            async with as_person(member) as client:
                await _ok(await client.put(f"{base}/comments/{community_id}", json={"text": COMMENTS[community_id]}))
            ctx.done(f"{names[street_id]} {_name(directory, member)} 点评{name}：{COMMENTS[community_id]}")

        ctx.step("③职能部门分管负责同志交办任务")
        tasks = [
            ("p-zhujian-lead", "东街社区 2 部电梯年内开工", ("community", "c-dongjie"), 28),
            ("p-minzheng-lead", "水部社区助餐点选址并报批", ("community", "c-shuiku"), 21),
            ("p-chengguan-lead", "屏山片区背街小巷停车秩序整治", ("street", "s-hualin"), 14),
        ]
        assigned = []
        for leader, title, (kind, unit_id), days in tasks:
            async with as_person(leader) as client:
                task = await _ok(await client.post(f"{base}/tasks", json={
                    "title": title, "assigned_to": {"kind": kind, "id": unit_id},
                    "due_date": (day_date + timedelta(days=days)).isoformat()}))
            assigned.append(task["task_id"])
            ctx.done(f"{_name(directory, leader)} 交办：{title} → {names[unit_id]}，"
                     f"时限 {(day_date + timedelta(days=days)).isoformat()}")
        ctx.facts["tasks"] = assigned

        ctx.step("④组织部分管副部长总结讲评，闭会")
        async with as_person("p-deputy-head") as head:
            await _ok(await head.put(f"{base}/summary", json={
                "text": "各社区要把问题清单、任务清单落实到人；停车、加梯等难题纳入集体会诊，"
                        "党建办每周写实通报，逾期事项督办约谈。"}))
            closed = await _ok(await head.post(f"{base}/close", json={"attendees": ["p-gulou-sec", "p-hualin-sec"]}))
        agenda = closed["agenda"]
        ctx.done(f"闭会：{len(agenda['community_reports'])} 个社区述职、{len(agenda['comments'])} 条点评、"
                 f"{len(agenda['tasks'])} 项交办任务、议题 {len(agenda['x_items'])} 项，"
                 f"{len(closed['attendees'])} 人参会（已发布 meeting-held）")

    # 5. X: a collective diagnosis of the hard problem.
    ctx.step("“X”活动：集体会诊老旧小区停车难")
    diagnosis = await _ok(await office.post(f"/districts/{d}/activities", json={
        "kind": "collective_diagnosis", "date": day_date.isoformat(), "meeting_id": meeting_id,
        "title": "集体会诊：屏山片区老旧小区停车难",
        "participants": ["p-pingshan-sec", "p-hualin-org", "p-zhujian-lead", "p-chengguan-lead", "p-deputy-head"],
        "record": {"problem": "屏山片区 5 个老旧小区停车位缺口约 300 个，占道停车引发邻里矛盾"},
        "outcomes": [
            {"title": "利用闲置地块建设临时停车场", "responsible": {"kind": "department", "id": "d-zhujian"},
             "due_date": (day_date + timedelta(days=45)).isoformat()},
            {"title": "协调周边机关单位夜间错时共享车位", "responsible": {"kind": "community", "id": "c-pingshan"},
             "due_date": (day_date + timedelta(days=20)).isoformat()},
            {"title": "规范背街小巷停车标线与巡查", "responsible": {"kind": "department", "id": "d-chengguan"},
             "due_date": (day_date + timedelta(days=30)).isoformat()},
        ],
    }))
    for outcome in diagnosis["outcomes"]:
        ctx.done(f"会诊结论：{outcome['title']} — {names.get(outcome['responsible']['id'])}，时限 {outcome['due_date']}")
    ctx.facts["diagnosis"] = diagnosis["activity_id"]
    sharing = await _ok(await office.post(f"/districts/{d}/activities", json={
        "kind": "experience_sharing", "date": day_date.isoformat(), "meeting_id": meeting_id,
        "title": "书记讲给书记听：华林街道“红色物业”联盟", "participants": [p for p, *_ in PEOPLE if p.endswith("-sec")],
        "record": {"presenter": "p-huayuan-sec", "lessons": "以党建联盟把物业企业纳入社区治理，服务评价上墙公示",
                   "speakers": ["p-huayuan-sec", "p-dongjie-sec"]},
    }))
    ctx.done(f"经验分享：{sharing['title']}，{len(sharing['figures']['speakers'])} 名社区党委书记登台（已发布 activity-held）")
    visit = await _ok(await office.post(f"/districts/{d}/activities", json={
        "kind": "study_visit", "date": (day_date + timedelta(days=7)).isoformat(), "meeting_id": meeting_id,
        "title": "对标学访：赴厦门、泉州学习老旧小区停车治理",
        "participants": ["p-pingshan-sec", "p-dongjie-sec", "p-hualin-org", "p-zhujian-lead"],
        "record": {"destinations": ["厦门市思明区", "泉州市鲤城区"], "visitors": 12,
                   "learned": "立体停车与错时共享结合，居民自治会参与车位管理"},
    }))
    ctx.done(f"对标学访：{visit['figures']['visitors']} 人赴{'、'.join(visit['figures']['destinations'])}"
             f"等 {len(visit['figures']['destinations'])} 地参观学习")
    observation = await _ok(await office.post(f"/districts/{d}/activities", json={
        "kind": "site_observation", "date": (day_date + timedelta(days=10)).isoformat(), "meeting_id": meeting_id,
        "title": "现场观摩点评：东街社区加装电梯、花园社区“红色物业”",
        "participants": ["p-gulou-org", "p-hualin-org", "p-deputy-head"],
        "record": {"observations": [
            {"unit": {"kind": "community", "id": "c-dongjie"}, "comment": "加梯协调小组建到楼栋，做法可推广"},
            {"unit": {"kind": "community", "id": "c-huayuan"}, "comment": "物业服务评价已上墙，考核办法还需细化"}]},
    }))
    ctx.done(f"现场观摩点评：{len(observation['figures']['observations'])} 个社区，逐一点评")

    # 6. The linkage mechanism: suggestions handed to the office, adopted or declined.
    ctx.step("联动机制：研究中心成员提出意见建议，区委党建办采纳转化为工作要求或说明不采纳理由")
    async with as_person("p-pingshan-sec") as client:
        made = await _ok(await client.post(f"/districts/{d}/suggestions", json={
            "title": "建立机关单位停车位夜间共享机制", "meeting_id": meeting_id,
            "text": "屏山片区周边机关单位车位夜间闲置，建议由街道牵头签订共享协议，缓解居民停车难"}))
    async with as_person("p-wenquan-sec") as client:
        other = await _ok(await client.post(f"/districts/{d}/suggestions", json={
            "title": "每个小区增设固定宣传栏", "text": "便于张贴通知公告"}))
    ctx.done(f"{_name(directory, 'p-pingshan-sec')} 提出：{made['title']}；{_name(directory, 'p-wenquan-sec')} 提出："
             f"{other['title']}（已发布 suggestion-made）")
    await set_today(day_date + timedelta(days=3))
    adopted = await _ok(await office.post(f"/districts/{d}/suggestions/{made['suggestion_id']}/adopt", json={
        "requirement": "各街道年底前与辖区机关单位签订停车位夜间共享协议，建立共享台账",
        "supervision": {"title": "签订机关单位停车位夜间共享协议", "responsible": {"kind": "street", "id": "s-hualin"},
                        "due_date": (day_date + timedelta(days=40)).isoformat()}}))
    declined = await _ok(await office.post(f"/districts/{d}/suggestions/{other['suggestion_id']}/decline", json={
        "reason": "各小区已按标准设置宣传栏，另行督促更新内容即可"}))
    ctx.done(f"采纳：{adopted['title']} → 工作要求并纳入督办（{adopted['supervision']['due_date']} 前）；"
             f"不采纳：{declined['title']}（{declined['reason']}）（已发布 suggestion-decided）")
    ctx.facts["suggestion"] = adopted["suggestion_id"]


def _name(directory: dict[str, Any], person_id: str) -> str:
    return next((p["name"] for p in directory["people"] if p["person_id"] == person_id), person_id)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text
    return detail if isinstance(detail, str) else str(detail)

