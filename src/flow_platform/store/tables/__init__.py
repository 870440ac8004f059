"""Every table of the platform; importing this package registers them all on ``Base``."""

from .api_keys import ApiKey as ApiKey
from .components import Component as Component
from .connectors import ConnectorInstance as ConnectorInstance
from .connectors import DDLAuditEntry as DDLAuditEntry
from .deployments import Deployment as Deployment
from .tenancy import Org as Org
from .tenancy import Ring as Ring
from .tenancy import Workspace as Workspace
