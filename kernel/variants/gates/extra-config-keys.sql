-- variant: extra-config-keys
-- choice: section 4, "dot_config may hold keys other than the nine gates (the seed's does); the protocol never touches them"
-- why: the seed's dot_config also holds runtime settings such as iu_core.delivery_live_routes (an empty CSV) and iu_core.routes_master_enabled

INSERT INTO public.dot_config (key, value, description) VALUES
    ('iu_core.delivery_live_routes', '', 'per-route allowlist (CSV), empty'),
    ('iu_core.routes_master_enabled', 'true', 'master switch of the route layer (not a gate of this protocol)'),
    ('ops.note', 'maintenance window at 02:00', 'free text');
