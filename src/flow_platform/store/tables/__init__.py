"""Every table of the platform; importing this package registers them all on ``Base``."""

from .api_keys import ApiKey as ApiKey
from .components import Component as Component
from .connectors import ConnectorInstance as ConnectorInstance
from .connectors import DDLAuditEntry as DDLAuditEntry
from .deployments import Deployment as Deployment
from .platform_meta import PlatformMeta as PlatformMeta
from .service_tokens import RevocationCounter as RevocationCounter
from .service_tokens import ServiceTokenCutoff as ServiceTokenCutoff
from .service_tokens import ServiceTokenRevocation as ServiceTokenRevocation
from .services import HostedService as HostedService
from .services import ServiceEndpoint as ServiceEndpoint
from .services import ServiceJob as ServiceJob
from .services import ServiceVersion as ServiceVersion
from .tenancy import Org as Org
from .tenancy import Ring as Ring
from .tenancy import Workspace as Workspace
