"""The demo's and the console's starting indicator table: Liaocheng's five dimensions (LC-6, 五、考核评估:
"评估内容包括：幸福食堂运营机构的项目建设、人员配备、运营成效、服务质量、老年人满意度等"), with the
items the platform can score from its own data marked as such. Weights are points of 100."""

from __future__ import annotations

LEGAL_REF = ("《开发区“幸福食堂”助老服务工作实施方案》五、考核评估：对运营情况每年至少开展一次服务质量评估，"
             "评估结果及时向社会公布，并与运营奖补挂钩")
REFERENCE_NOTE = ("参考：上海市社区长者食堂服务监测的维度——设施环境、食品安全、运营管理、服务质量、"
                  "老年人满意度，可作为各项评分标准细化时的对照。")

# (dimension, title, weight, source, params, guidance)
ITEMS = [
    ("项目建设", "场所面积与功能分区", 5, "manual", {},
     "就餐区、操作区、储存区分区合理，面积与座位数符合备案；现场查看，缺一项扣 1 分。"),
    ("项目建设", "适老化设施与设备", 5, "manual", {},
     "防滑地面、扶手、爱心餐桌、无障碍通道齐全；缺一项扣 1 分。"),
    ("项目建设", "阳光厨房视频在线", 5, "video", {},
     "后厨视频全年在线率 × 满分；暂无数据时由评估人员现场查看阳光厨房画面后打分。"),
    ("人员配备", "从业人员持健康证上岗", 8, "manual", {},
     "查验全部从业人员健康证，每缺一人扣 2 分。"),
    ("人员配备", "管理制度与人员培训", 7, "manual", {},
     "有食品安全、消防、服务规范等制度并开展年度培训；制度缺一项扣 2 分，无培训记录扣 3 分。"),
    ("运营成效", "年度就餐人次", 15, "meals", {"urban": 7000, "rural": 3500},
     "平台台账的年度老年人就餐人次 ÷ 目标人次（城区 7000、农村 3500）× 满分，达到目标得满分。"),
    ("运营成效", "按公告时段稳定供餐", 10, "manual", {},
     "全年按公告时段开放供餐，无故停餐一次扣 2 分。"),
    ("服务质量", "双随机检查结果", 15, "inspections", {"per_failed": 3, "per_overdue": 5},
     "满分起扣：年度检查中每个不合格项扣 3 分，每项逾期未整改扣 5 分；未被抽中检查的得满分。"),
    ("服务质量", "投诉按期办结", 10, "complaints", {},
     "按期办结的投诉 ÷ 收到的投诉 × 满分，全年无投诉得满分；暂无数据时按投诉登记台账打分。"),
    ("满意度", "老年人满意度", 20, "satisfaction", {},
     "老年人对口味、分量、卫生、服务的评价（折算为百分制）÷ 100 × 满分；暂无评价时以入户或电话抽样调查结果打分。"),
]


def standard_items() -> list[dict]:
    return [{"dimension": d, "title": t, "weight": w, "max_score": w, "source": s, "params": p, "guidance": g}
            for d, t, w, s, p, g in ITEMS]
