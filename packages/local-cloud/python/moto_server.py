"""moto_server, plus the item-level atomicity real DynamoDB guarantees.

moto evaluates a ConditionExpression and applies the update as separate steps
on a threaded server, so two concurrent conditional writes to one item can
both pass the check (a lost update that DynamoDB never allows). Serialising
DynamoDB requests closes that window; S3 and the rest stay concurrent.

SQS ReceiveMessage in moto 5.2 checks each message it returns against the
queue's retention period through GetQueueAttributes, which counts every
message in the queue (ApproximateNumberOfMessages and the rest): quadratic in
the queue's depth. With 2000 events queued (a load test's seeding) a receive of
10 took moto most of a second. The check below reads the one attribute it needs.

moto 5.1 ignores GetObject's response header overrides (response-content-disposition
and the rest, which presigned download URLs carry); S3 answers with them, so the
dispatcher below sets them on a successful GET or HEAD. (moto 5.2 has them, but
serialises DynamoDB responses 2-7 times slower, which bounds every uncached read.)
"""

import threading
from urllib.parse import parse_qs

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs.models import SQSBackend
from moto.core.utils import unix_time

_dynamodb = threading.Lock()


_overrides = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}


def _with_header_overrides(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    headers = {name: query[param][0] for param, name in _overrides.items() if param in query}
    if not headers or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return start_response

    def respond(status, response_headers, exc_info=None):
        if status.startswith(("200", "206")):
            lower = {name.lower() for name in headers}
            response_headers = [h for h in response_headers if h[0].lower() not in lower]
            response_headers += list(headers.items())
        return start_response(status, response_headers, exc_info)

    return respond


class LocalCloudDispatcher(DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            # moto builds the whole response inside the call, so the lock covers the write.
            with _dynamodb:
                return super().__call__(environ, start_response)
        return super().__call__(environ, _with_header_overrides(environ, start_response))


server.DomainDispatcherApplication = LocalCloudDispatcher


def _within_retention_period(self, queue_name, message):
    retention_period = self.get_queue(queue_name).message_retention_period
    return int(retention_period) + message.sent_timestamp / 1000 > unix_time()


SQSBackend.is_message_valid_based_on_retention_period = _within_retention_period

if __name__ == "__main__":
    server.main()
