from kit.migrations import run_env
from services.milestones.models import Base

run_env(Base.metadata)
