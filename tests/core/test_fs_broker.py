"""The embedded run's filesystem broker: a worker polling the folder while messages are
written never reads one half-written (kombu's own transport could hand it an empty file,
and the worker stopped with a JSONDecodeError)."""

import threading
import time

from kombu import Connection

MESSAGES = 200
BODY = "x" * 200_000  # large enough that a write takes a while


def test_a_polling_reader_gets_every_message_whole(tmp_path):
    folder = tmp_path / "broker"
    (folder / "processed").mkdir(parents=True)
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder),
               "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control")}  # fmt: skip
    received, errors = [], []

    def read():
        with Connection("filesystem://", transport="core.fs_broker:Transport", transport_options=options) as conn:
            queue = conn.SimpleQueue("jobs")
            deadline = time.monotonic() + 60
            while len(received) < MESSAGES and time.monotonic() < deadline:
                try:
                    message = queue.get(block=True, timeout=0.01)
                except queue.Empty:
                    continue
                except Exception as exc:  # a half-written file shows up here
                    errors.append(exc)
                    return
                received.append(message.payload)
                message.ack()
            queue.close()

    reader = threading.Thread(target=read)
    reader.start()
    with Connection("filesystem://", transport="core.fs_broker:Transport", transport_options=options) as conn:
        queue = conn.SimpleQueue("jobs")
        for n in range(MESSAGES):
            queue.put({"n": n, "body": BODY})
        queue.close()
    reader.join(timeout=90)
    assert not errors, errors[0]
    assert sorted(message["n"] for message in received) == list(range(MESSAGES))
    assert all(message["body"] == BODY for message in received)
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".partial-")]
