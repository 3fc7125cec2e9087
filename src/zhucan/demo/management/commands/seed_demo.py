from django.core.management.base import BaseCommand

from zhucan.demo.seed import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Seed the demo city data (idempotent): regions, canteens, menus, accounts, elders."

    def add_arguments(self, parser):
        parser.add_argument("--elders", type=int, default=2400, help="how many synthetic elders")

    def handle(self, *args, elders, **options):
        result = seed_all(elders=elders)
        meals = result["meals"]
        self.stdout.write(
            f"新增：区划 {result['regions']}，助餐点 {result['canteens']}，老人 {result['elders']}，"
            f"2025年6月就餐记录 {meals['meals']}（撤销 {meals['voids']}），上月初至今就餐记录 {meals.get('recent', 0)}"
        )
        stages = result["designations"]
        self.stdout.write(f"定点助餐点 {stages.get('designated', 0)} 家（经遴选、协议、备案、审核）；"
                          f"备案待审 {stages.get('submitted', 0)} 家（见西湖区备案审核）")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, where in result["users"]:
            self.stdout.write(f"  {username:<16} {role:<12} {where}")
        self.stdout.write(f"  {'admin':<16} 超级管理员")
        delivery = result.get("delivery") or {}
        if delivery:
            self.stdout.write(f"  送餐员（志愿者）手机 {delivery['courier_phone']}：在 /courier/ 用短信验证码登录"
                              f"（验证码见服务器控制台）；订餐配送看板 /orders/board/ 显示 "
                              f"{delivery['day']:%m月%d日} 的订单 {delivery['orders']} 份")
