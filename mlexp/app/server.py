"""Jupyter server tuning for live dashboards (used by `mlexp demo` and the Binder config)."""
from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class LowLatencyKernelConnection(ZMQChannelsWebsocketConnection):
    """A kernel websocket that sends small messages at once.

    Widget updates are small; with Nagle's algorithm on, each waited ~40 ms for the browser's
    acknowledgement, which delayed the ink and the probability bars after every stroke.
    """

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()
