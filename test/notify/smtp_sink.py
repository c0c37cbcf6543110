"""aiosmtpd handler for the notification tests: one JSON line per message, envelope included."""
import json
import sys


class Sink:
    async def handle_DATA(self, server, session, envelope):
        content = envelope.content.decode("utf-8", "replace") if isinstance(envelope.content, bytes) else envelope.content
        print(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": content}), flush=True)
        return "250 OK"
