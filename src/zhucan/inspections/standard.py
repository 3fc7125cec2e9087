"""The starting check-item list (检查事项清单) of a district: food hygiene, fire safety, use of funds."""

from __future__ import annotations

# (category, title, guidance, serious)
ITEMS = [
    ("food_hygiene", "留样", "每餐每样菜品留样不少于 125 克，冷藏 48 小时，有留样记录", True),
    ("food_hygiene", "清洗消毒", "餐用具清洗消毒设施正常使用，消毒记录完整", False),
    ("food_hygiene", "索证索票", "食品及原料采购查验并留存供货者资质和票据", False),
    ("food_hygiene", "三防设施", "防鼠、防蝇、防尘设施完好有效", False),
    ("food_hygiene", "健康证", "从业人员持有效健康证明上岗", True),
    ("food_hygiene", "环境卫生", "后厨和就餐区整洁，垃圾分类密闭存放", False),
    ("food_hygiene", "明码标价", "菜品价格和优惠标准公示清楚，与收银一致", False),
    ("fire_safety", "灭火器材", "灭火器、灭火毯配置齐全且在有效期内", False),
    ("fire_safety", "疏散通道", "安全出口、疏散通道畅通，应急照明有效", True),
    ("fire_safety", "燃气安全", "燃气报警和自动切断装置正常，管线无老化", True),
    ("funds", "补贴专款专用", "补贴资金按规定使用，账目清楚", True),
    ("funds", "台账与申领一致", "就餐台账与补贴结算申领的人次、金额一致", False),
]
