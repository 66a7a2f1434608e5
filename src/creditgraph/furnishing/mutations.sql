-- A furnishing mutation's answer (furnishing/mutations.py).

-- name: submission_changes
-- What the corrections of a submission changed: one JSON object a correction.
select changes::text
from furnishing.corrections
where submission_id = $1
order by id;
