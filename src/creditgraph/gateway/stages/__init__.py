"""The stages a GraphQL request passes, in order, each one module with one seam.

authenticate → limit → authorise → plan → execute → shape → record

- authenticate: middleware/authentication.py, ASGI middleware proving the bearer token;
- limit: `limit.LimitStage`, the requester's rate (access/rate_limits.py under the policy);
- authorise: `authorise.AuthoriseStage`, which prepares the client's operation and runs
  what it lets through the next three stages;
- plan: `plan.PlanStage`, the query planner (gateway/planning/);
- execute: `execute.ExecuteStage`, the plan's fetches (gateway/executor.py);
- shape: `shape.ShapeStage`, the response (gateway/response.py);
- record: `record.RecordStage`, every request's audit entry, written before its answer
  leaves (a mutation's excepted: it commits with the write, in the authorise stage).

With no policy, the operation is planned as it is prepared and then executed and shaped.
Under the policy the authorise stage (access/enforcement.py) plans, executes and walks one
wave of records at a time, each wave's views decided from what the last one reached, and
shapes the response from what the waves left: authorise interleaves with plan and execute
by design, through the same stage objects.

The routes that are not GraphQL (`GET /live`, `POST /furnish`) pass the same pipeline's
first stages through `admission.admit`: limited, and recorded when refused, as `/graphql`
is.

`pipeline.Pipeline` holds one configuration of them; the HTTP handler (gateway/http.py)
runs the same sequence whatever it holds. With no edition policy the authorise and record
stages are open ones (`authorise.Open`, `record.NOT_RECORDED`), not a second path.
"""
