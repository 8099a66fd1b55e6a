"""Accounts: native logins, generated passwords, the first admin."""
