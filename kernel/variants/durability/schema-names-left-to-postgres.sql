-- variant: schema-names-left-to-postgres
-- choice: section 1, rehydrate_agent: refusing a name PostgreSQL itself rejects (empty, reserved pg_ prefix; SQLSTATEs 42602, 42622, 42939) is a correct refusal (v2)
-- why: the reference checks target names itself (22023); a kernel that quotes with %I and lets PostgreSQL refuse, or truncate an over-long name as it does for every identifier, is as correct
DO $v$
DECLARE
    v_def text := pg_get_functiondef('cpo.rehydrate_agent(jsonb,text)'::regprocedure);
    v_old1 text := $o$IF p_target_schema = '' OR octet_length(p_target_schema) > 63 THEN$o$;
    v_old2 text := $o$IF p_target_schema IN ('pg_catalog', 'information_schema') OR p_target_schema LIKE 'pg\_%' THEN$o$;
BEGIN
    IF position(v_old1 IN v_def) = 0 OR position(v_old2 IN v_def) = 0 THEN
        RAISE EXCEPTION 'variant anchor not found';
    END IF;
    EXECUTE replace(replace(v_def, v_old1, 'IF false THEN'), v_old2, $n$IF p_target_schema = 'information_schema' THEN$n$);
END
$v$;
