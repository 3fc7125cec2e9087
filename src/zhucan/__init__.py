"""Zhucan (智慧助餐): a city platform for elderly meal assistance."""
