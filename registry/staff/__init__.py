"""Staff accounts and signing in to the staff console (not HTTP: `registry.web.staff` is
the pages). `accounts.Staff` is the service; `passwords` and `totp` hold every secret
operation; `store` the tables beside the log."""

from registry.staff.accounts import (
    Refusal,
    SessionView,
    Signed,
    Staff,
    StaffCaller,
    Stage,
    UserInfo,
)

__all__ = ["Refusal", "SessionView", "Signed", "Staff", "StaffCaller", "Stage", "UserInfo"]
