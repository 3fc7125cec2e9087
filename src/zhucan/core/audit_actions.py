"""What each audit action code means, in the words an official reads (Chinese) and in English.

Every code written by `audit_record` / `audit_export` anywhere in the platform has a row here;
tests/console/test_audit_labels.py reads the source and fails when one is missing. Codes are grouped
for the audit log's filter by their leading part (GROUPS).
"""

from __future__ import annotations

from django.utils.translation import get_language

ACTION_LABELS: dict[str, tuple[str, str]] = {
    # elders
    "elder.create": ("新增老人档案", "Elder registered"),
    "elder.update": ("修改老人档案", "Elder record changed"),
    "elder.verify": ("核查老人资格", "Elder eligibility verified"),
    "elder.erase": ("删除老人个人信息", "Elder's personal data erased"),
    "elder.import": ("批量导入老人档案", "Elders imported"),
    "elder.reveal_id": ("查看完整身份证号", "Full ID number viewed"),
    "elder.reveal_phone": ("查看完整联系电话", "Full phone number viewed"),
    "elder.reveal_address": ("查看完整居住地址", "Full address viewed"),
    "elder.export": ("导出老人档案", "Elders exported"),
    "elder.import_report.export": ("导出导入结果", "Import report exported"),
    # canteens
    "canteen.create": ("新增助餐点", "Canteen created"),
    "canteen.update": ("修改助餐点信息", "Canteen changed"),
    "canteen.periods": ("设置供餐时段", "Meal periods set"),
    "canteen.export": ("导出助餐点名单", "Canteens exported"),
    "dish.create": ("新增菜品", "Dish added"),
    "dish.update": ("修改菜品", "Dish changed"),
    # identification
    "identity.card_bind": ("绑定市民卡", "Citizen card bound"),
    "identity.card_report_lost": ("市民卡挂失", "Citizen card reported lost"),
    "identity.card_replace": ("补换市民卡", "Citizen card replaced"),
    "identity.card_code_issue": ("发放助餐码", "Card code issued"),
    "identity.card_code_revoke": ("作废助餐码", "Card code revoked"),
    "identity.canteen_factor_set": ("设置助餐点核验方式", "Canteen check factor set"),
    "identity.pin_set": ("设置就餐密码", "Meal PIN set"),
    "identity.key_stage": ("生成新的签名密钥", "Signing key staged"),
    "identity.key_rotate": ("启用新的签名密钥", "Signing key rotated"),
    "face.consent.grant": ("登记人脸识别同意", "Face recognition consent given"),
    "face.consent.withdraw": ("撤回人脸识别同意", "Face recognition consent withdrawn"),
    "face.enrol": ("采集人脸", "Face enrolled"),
    "face.enrolment.delete": ("删除人脸数据", "Face data deleted"),
    "face.close": ("关闭人脸识别", "Face recognition closed"),
    "face.canteen_setting": ("设置助餐点人脸识别", "Canteen face setting changed"),
    "face.photo_view": ("查看老人登记照片", "Elder photo viewed"),
    "elderphone.account_create": ("开通手机助餐账号", "Phone account created"),
    "elderphone.bind": ("绑定家属手机", "Family phone bound"),
    "elderphone.revoke": ("解除手机绑定", "Phone binding revoked"),
    "elderphone.password_set": ("设置手机登录密码", "Phone password set"),
    "elderphone.password_reset": ("重置手机登录密码", "Phone password reset"),
    # settlement
    "statement.generate": ("生成结算单", "Statement generated"),
    "statement.regenerate": ("重新生成结算单", "Statement regenerated"),
    "statement.confirm": ("助餐点确认结算单", "Statement confirmed by canteen"),
    "statement.dispute": ("助餐点对结算单提出异议", "Statement disputed"),
    "statement.resolve_dispute": ("处理结算异议", "Dispute resolved"),
    "statement.approve": ("审核通过结算单", "Statement approved"),
    "statement.finalise": ("结算单定稿", "Statement finalised"),
    "statement.mark_paid": ("登记结算付款", "Statement paid"),
    "statement.export": ("导出结算单", "Statement exported"),
    "settlement.report.export": ("导出结算报表", "Settlement report exported"),
    "statement.adjust": ("登记结算调整", "Statement adjustment recorded"),
    "mismatch.resolve": ("处理补贴差异", "Benefit mismatch resolved"),
    # funds
    "funds.target.create": ("下达建设目标", "Construction target set"),
    "funds.subsidy.apply": ("申请建设补贴", "Construction subsidy applied for"),
    "funds.subsidy.resubmit": ("重新申请建设补贴", "Construction subsidy resubmitted"),
    "funds.subsidy.review": ("区级审核建设补贴", "Construction subsidy reviewed"),
    "funds.subsidy.approve": ("市级审批建设补贴", "Construction subsidy approved"),
    "funds.subsidy.pay": ("拨付建设补贴", "Construction subsidy paid"),
    "funds.subsidy.export": ("导出建设补贴", "Construction subsidies exported"),
    "funds.evaluation.record": ("录入运营评估结果", "Operating evaluation recorded"),
    "funds.evaluation.publish": ("公布运营评估结果", "Operating evaluation published"),
    "funds.reward.compute": ("测算运营奖补", "Operating reward computed"),
    "funds.reward.compute_run": ("批量测算运营奖补", "Operating rewards computed"),
    "funds.reward.approve": ("审批运营奖补", "Operating reward approved"),
    "funds.reward.pay": ("拨付运营奖补", "Operating reward paid"),
    "funds.reward.export": ("导出运营奖补", "Operating rewards exported"),
    # filing and designation
    "filing.select": ("遴选为助餐点", "Canteen selected"),
    "filing.agreement": ("登记服务协议", "Agreement recorded"),
    "filing.open_round": ("开启备案", "Filing round opened"),
    "filing.item_save": ("填写备案事项", "Filing item saved"),
    "filing.evidence_store": ("上传备案材料", "Filing evidence uploaded"),
    "filing.submit": ("提交备案", "Filing submitted"),
    "filing.resubmit_open": ("重新备案", "Filing reopened"),
    "filing.review": ("审核备案事项", "Filing item reviewed"),
    "filing.decide": ("作出备案审核决定", "Filing decided"),
    "filing.designate": ("确定为定点助餐点", "Canteen designated"),
    "filing.return": ("退回备案", "Filing returned"),
    "filing.recheck": ("复核定点条件", "Designation rechecked"),
    "filing.suspend": ("暂停定点", "Designation suspended"),
    "filing.reinstate": ("恢复定点", "Designation reinstated"),
    "filing.revoke": ("撤销定点", "Designation revoked"),
    "filing.register_export": ("导出定点名录", "Designation register exported"),
    "filing.terminal_capabilities": ("终端上报功能", "Terminal capabilities reported"),
    "filing.terminal_test.receipt": ("终端测试小票打印", "Terminal test receipt"),
    "filing.terminal_test.identification": ("终端测试身份识别", "Terminal test identification"),
    "filing.terminal_test.meal": ("终端测试就餐数据上传", "Terminal test meal"),
    # alerts
    "alerts.raise": ("生成预警", "Alert raised"),
    "alerts.assign": ("预警指派", "Alert assigned"),
    "alerts.investigate": ("开始核查预警", "Alert investigation started"),
    "alerts.confirm": ("预警核实并追回", "Alert confirmed"),
    "alerts.dismiss": ("预警核查排除", "Alert dismissed"),
    "alerts.rule_configure": ("设置预警规则", "Alert rule configured"),
    "alerts.detect": ("执行预警检测", "Alert detection run"),
    "alerts.export": ("导出预警清单", "Alerts exported"),
    # evaluation and complaints
    "evaluation.rate": ("老人就餐评价", "Meal rated"),
    "evaluation.complaint_receive": ("受理投诉", "Complaint received"),
    "evaluation.complaint_assign": ("投诉转办", "Complaint assigned"),
    "evaluation.complaint_answer": ("投诉答复", "Complaint answered"),
    "evaluation.complaint_close": ("投诉办结", "Complaint closed"),
    "evaluation.complaint_escalate": ("投诉超时升级", "Complaint escalated"),
    "evaluation.campaign_create": ("发起评选活动", "Campaign created"),
    "evaluation.nominate": ("推荐参评助餐点", "Canteen nominated"),
    "evaluation.vote": ("老人投票", "Vote cast"),
    "evaluation.campaign_publish": ("公布评选结果", "Campaign results published"),
    "evaluation.ratings.export": ("导出就餐评价", "Ratings exported"),
    "evaluation.complaints.export": ("导出投诉记录", "Complaints exported"),
    # assessment
    "assessment.table_create": ("制定考核指标表", "Indicator table created"),
    "assessment.table_weights": ("调整考核指标分值", "Indicator weights changed"),
    "assessment.open": ("开展助餐点考核", "Assessment opened"),
    "assessment.refresh": ("更新考核自动得分", "Assessment figures refreshed"),
    "assessment.score": ("考核评分", "Indicator scored"),
    "assessment.confirm": ("确认考核结果", "Assessment confirmed"),
    "assessment.publish": ("评估结果公布", "Assessment published"),
    "assessment.contest": ("助餐点对考核提出异议", "Assessment contested"),
    "assessment.contest_resolve": ("处理考核异议", "Assessment contest resolved"),
    "assessment.export": ("导出考核结果", "Assessments exported"),
    "assessment.rankings.export": ("导出考核排名", "Assessment rankings exported"),
    # inspections
    "inspections.inspector_add": ("增加检查人员", "Inspector added"),
    "inspections.inspector_remove": ("移除检查人员", "Inspector removed"),
    "inspections.checklist": ("设置检查事项", "Checklist set"),
    "inspections.plan_create": ("制定检查计划", "Inspection plan created"),
    "inspections.draw": ("检查计划抽取", "Inspection plan drawn"),
    "inspections.publish": ("公布检查计划", "Inspection plan published"),
    "inspections.record": ("登记检查结果", "Inspection recorded"),
    "inspections.followup": ("登记整改复查", "Follow-up recorded"),
    "inspections.suspend": ("检查发现问题暂停定点", "Suspended after inspection"),
    "inspections.plan.export": ("导出检查计划", "Inspection plan exported"),
    # video
    "video.device.create": ("登记视频设备", "Video device registered"),
    "video.device.update": ("修改视频设备", "Video device changed"),
    "video.channel.create": ("新增视频通道", "Video channel added"),
    "video.channel.update": ("修改视频通道", "Video channel changed"),
    "video.view": ("视频查看", "Video viewed"),
    "video.playback_check": ("视频回放抽查", "Video playback checked"),
    # dashboards
    "dashboard.export": ("导出统计报表", "Dashboard exported"),
    "dashboard.not_reached.export": ("导出长期未就餐老人名单", "Elders not reached exported"),
    # users and terminals
    "user.create": ("新增用户", "User created"),
    "user.update": ("修改用户", "User changed"),
    "user.export": ("导出用户名单", "Users exported"),
    "terminal.register": ("登记收银终端", "Terminal registered"),
    "terminal.revoke": ("停用收银终端", "Terminal revoked"),
    # online payment of orders
    "payments.start": ("发起在线支付", "Online payment started"),
    "payments.paid": ("在线支付成功", "Paid online"),
    "payments.failed": ("在线支付失败", "Online payment failed"),
    "payments.recorded": ("补记在线支付", "Online payment recorded"),
    "payments.refund": ("取消订单退款", "Refunded on cancellation"),
    "payments.refund_notified": ("退款结果通知", "Refund result notified"),
    "payments.reconcile": ("在线支付对账", "Online payments reconciled"),
    # ordering and delivery
    "orders.place": ("下单订餐", "Meal ordered"),
    "orders.cancel": ("取消订餐", "Order cancelled"),
    "orders.handover": ("订餐交付", "Order handed over"),
    "orders.fail": ("送餐未送达", "Delivery failed"),
    "orders.menu_publish": ("发布预订菜单", "Menu ahead published"),
    "orders.menu_copy": ("复制上周预订菜单", "Last week's menu copied"),
    "orders.cutoff_set": ("设置订餐截止时间", "Order cut-off set"),
    "orders.coverage_set": ("设置配送范围", "Delivery coverage set"),
    "orders.standing_create": ("设置长期订餐", "Standing order created"),
    "orders.standing_pause": ("暂停长期订餐", "Standing order paused"),
    "orders.standing_skip": ("长期订餐跳过一天", "Standing order day skipped"),
    "orders.standing_stop": ("停止长期订餐", "Standing order stopped"),
    "orders.supervision.export": ("导出订餐送餐监管表", "Ordering supervision exported"),
    "delivery.route_create": ("新建送餐线路", "Delivery route created"),
    "delivery.route_courier": ("指派送餐员", "Courier assigned"),
    "delivery.route_assign": ("订单排入送餐线路", "Order put on a route"),
    "delivery.stop_move": ("调整送餐顺序", "Stop order changed"),
    "delivery.pickup": ("送餐员取餐", "Picked up by the courier"),
    "delivery.courier_register": ("登记送餐员", "Courier registered"),
    "delivery.courier_login": ("送餐员登录", "Courier signed in"),
    "delivery.reveal_phone": ("送餐员查看老人电话", "Elder's phone shown to the courier"),
    "delivery.sheet.export": ("打印生产单", "Production sheet printed"),
    "delivery.labels.export": ("打印餐盒标签", "Meal labels printed"),
    "elder.diet": ("修改饮食禁忌与过敏", "Diet notes changed"),
}

# The audit log's filter: group → (Chinese, English, code prefixes).
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "elders": ("老人档案", "Elders", ("elder.",)),
    "canteens": ("助餐点与菜品", "Canteens and dishes", ("canteen.", "dish.")),
    "identity": ("身份识别", "Identification", ("identity.", "face.", "elderphone.")),
    "settlement": ("结算", "Settlement", ("statement.", "settlement.", "mismatch.")),
    "funds": ("建设补贴与运营奖补", "Subsidies and rewards", ("funds.",)),
    "filing": ("定点备案", "Filing and designation", ("filing.",)),
    "alerts": ("预警", "Alerts", ("alerts.",)),
    "evaluation": ("评价与投诉", "Ratings and complaints", ("evaluation.",)),
    "assessment": ("考核评估", "Assessment", ("assessment.",)),
    "inspections": ("监督检查", "Inspections", ("inspections.",)),
    "video": ("视频监控", "Video", ("video.",)),
    "dashboard": ("统计报表", "Dashboards", ("dashboard.",)),
    "orders": ("订餐送餐", "Ordering and delivery", ("orders.", "delivery.")),
    "payments": ("在线支付", "Online payment", ("payments.",)),
    "users": ("用户与终端", "Users and terminals", ("user.", "terminal.")),
}
# Exports and full-value reads cut across groups: their own filter entries.
SPECIAL_GROUPS: dict[str, tuple[str, str]] = {
    "exports": ("数据导出", "Exports"),
    "reveals": ("查看完整个人信息", "Personal data viewed"),
}
REVEAL_ACTIONS = ("elder.reveal_id", "elder.reveal_phone", "elder.reveal_address", "face.photo_view", "video.view",
                  "delivery.reveal_phone")


def _english() -> bool:
    return (get_language() or "").startswith("en")


def action_label(code: str) -> str:
    """The label in the active language; an unknown code (a newer platform's row) as it is."""
    pair = ACTION_LABELS.get(code)
    if pair is None:
        return code
    return pair[1] if _english() else pair[0]


def group_choices() -> list[tuple[str, str]]:
    english = _english()
    out = [(key, en if english else zh) for key, (zh, en, _p) in GROUPS.items()]
    out += [(key, en if english else zh) for key, (zh, en) in SPECIAL_GROUPS.items()]
    return out
