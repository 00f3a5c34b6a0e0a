"""Language servers for the LSP tool and for diagnostics after edits.

client.py speaks the protocol to one server process, servers.py decides which
server serves which file, manager.py keeps one server per (server, project root)
alive for the session.
"""

from claw_tui.lsp.client import LspClient, LspError, RequestTimeout, ResponseError, ServerCrashed
from claw_tui.lsp.manager import LspManager, NoServer
from claw_tui.lsp.servers import ServerRegistry, ServerSpec

__all__ = [
    "LspClient",
    "LspError",
    "LspManager",
    "NoServer",
    "RequestTimeout",
    "ResponseError",
    "ServerCrashed",
    "ServerRegistry",
    "ServerSpec",
]
