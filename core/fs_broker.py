"""The embedded run's broker (`make run`): kombu's filesystem transport, with every message
file written whole before a worker can see it.

Kombu writes a message straight under its final name; a worker polling the folder can take
(and move) the file before its bytes are in, read it empty and stop with a JSONDecodeError,
which takes the whole local run down. Here the message goes to a dot-named file first (the
transport only reads names of the form `<stamp>_<uuid>.<queue>.msg`) and is renamed into
place, which on one filesystem is atomic: a reader sees nothing or the whole message.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".partial-{name}")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
    global_state = filesystem.Transport.global_state
