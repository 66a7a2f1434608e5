"""The stages a GraphQL request passes, in order, each one module with one seam.

authenticate → limit → authorise → plan → execute → shape → record

- authenticate: middleware/authentication.py, ASGI middleware proving the bearer token;
- limit: `limit.LimitStage`, the requester's rate (access/rate_limits.py under the policy);
- authorise, then plan, execute and shape: `authorise.AuthoriseStage`, which prepares the
  client's operation and runs it for a requester through the gateway's public surface
  (`Gateway.plan`, `fetch`, `respond`: gateway/planning/, executor.py, response.py);
- record: `record.RecordStage`, the audit entry of a request refused before it ran (one
  that runs is recorded by the authorise stage, with what it returned).

The routes that are not GraphQL (`GET /live`, `POST /furnish`) pass the same pipeline's
first stages through `admission.admit`: limited, and recorded when refused, as `/graphql`
is.

`pipeline.Pipeline` holds one configuration of them; the HTTP handler (gateway/http.py)
runs the same sequence whatever it holds. With no edition policy the authorise and record
stages are open ones (`authorise.Open`, `record.NOT_RECORDED`), not a second path.
"""
