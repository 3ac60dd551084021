"""IT staff's admin for the BCP module (backup sites and backups; CSIRT register and policy documents)."""

from bcp import admin_backup as admin_backup
from bcp import admin_csirt as admin_csirt
from bcp import admin_hq as admin_hq
