-- mutant: verify-without-activation
-- kills: DRIFT-DETECT
-- why: verify falls back to the latest sealed version when the set has no activation, so a never-activated manifest verifies ok
SELECT pg_temp.pgconform_patch('qt001_cp.verify_object_authority(text)',
    $old$      FROM qt001_cp.manifest_activation a
      JOIN qt001_cp.manifest_version v ON v.manifest_id = a.manifest_id$old$,
    $new$      FROM qt001_cp.manifest_version v
      LEFT JOIN qt001_cp.manifest_activation a ON a.manifest_id = v.manifest_id$new$,
    $old$     ORDER BY a.activation_seq DESC$old$,
    $new$     ORDER BY a.activation_seq DESC NULLS LAST, v.version DESC$new$);
