"""Customers (客户档案): profile, tier and contact points."""
