-- Applied after schema.sql when the functions store shares the database (it always does in
-- a running lambdalite; the async store alone, as in its own tests, has no functions).

-- A config lives exactly as long as its function, version or alias (a re-created function
-- or alias of the same name starts clean). Triggers keep the removal in the deleting
-- statement's own transaction, whichever code path deletes; the functions store's cascade
-- to versions and aliases fires the narrower triggers too, which then find nothing.
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_function_deleted
AFTER DELETE ON functions BEGIN
    DELETE FROM event_invoke_configs WHERE function_name = OLD.name;
END;
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_version_deleted
AFTER DELETE ON versions BEGIN
    DELETE FROM event_invoke_configs
    WHERE function_name = OLD.function_name AND qualifier = OLD.version;
END;
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_alias_deleted
AFTER DELETE ON aliases BEGIN
    DELETE FROM event_invoke_configs
    WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
-- Rows orphaned before these triggers existed (data directories of older releases).
DELETE FROM event_invoke_configs
WHERE NOT EXISTS (SELECT 1 FROM functions f WHERE f.name = event_invoke_configs.function_name)
   OR (qualifier <> '$LATEST'
       AND NOT EXISTS (SELECT 1 FROM versions v
                       WHERE v.function_name = event_invoke_configs.function_name
                         AND v.version = event_invoke_configs.qualifier)
       AND NOT EXISTS (SELECT 1 FROM aliases a
                       WHERE a.function_name = event_invoke_configs.function_name
                         AND a.name = event_invoke_configs.qualifier));
