-- variant: null-actor-refused
-- choice: section 1, commit_action: whether a null p_actor_id is refused or stored as JSON null is the kernel's choice (v2)
-- why: a kernel that refuses a null actor (22004, nothing written) is as correct as one that stores JSON null
DO $v$
DECLARE
    v_def text := pg_get_functiondef('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)'::regprocedure);
    v_old text := $o$IF p_action_type IS NULL OR p_action IS NULL THEN$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'variant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, $n$IF p_actor_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'commit_action: p_actor_id is required';
    END IF;
    IF p_action_type IS NULL OR p_action IS NULL THEN$n$);
END
$v$;
