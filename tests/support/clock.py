"""The test run's one "today": read once when the run starts and pinned in every service the tests start
(KP_FIXED_TODAY), so a run that crosses midnight in the services' time zone sees the same date in the tests
and in the services."""
from datetime import datetime
from zoneinfo import ZoneInfo

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
