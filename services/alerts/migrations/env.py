from kit.migrations import run_env
from services.alerts.models import Base

run_env(Base.metadata)
