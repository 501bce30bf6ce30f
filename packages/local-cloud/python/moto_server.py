"""moto_server, plus the item-level atomicity real DynamoDB guarantees.

moto evaluates a ConditionExpression and applies the update as separate steps
on a threaded server, so two concurrent conditional writes to one item can
both pass the check (a lost update that DynamoDB never allows). Serialising
DynamoDB requests closes that window; S3 and the rest stay concurrent.
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_dynamodb = threading.Lock()


class AtomicDynamoDB(DomainDispatcherApplication):
    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            # moto builds the whole response inside the call, so the lock covers the write.
            with _dynamodb:
                return super().__call__(environ, start_response)
        return super().__call__(environ, start_response)


server.DomainDispatcherApplication = AtomicDynamoDB

if __name__ == "__main__":
    server.main()
