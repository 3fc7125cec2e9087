"""Integration API v1 (HZ-F4, HZ-F5): signed HTTP for our cashier terminals and vendor POS systems."""
