-- Version 5: function resource policies (AddPermission/GetPolicy/RemovePermission), one per
-- function and qualifier ('$LATEST' for the unqualified function, a version or an alias).

CREATE TABLE IF NOT EXISTS function_policies (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,
    statements    TEXT NOT NULL,  -- JSON list of statements, in the order they were added
    revision_id   TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);

-- A policy lives exactly as long as its version or alias (the function's own delete cascades
-- through the foreign key), in the deleting statement's transaction, whichever path deletes.
CREATE TRIGGER IF NOT EXISTS function_policies_version_deleted
AFTER DELETE ON versions BEGIN
    DELETE FROM function_policies
    WHERE function_name = OLD.function_name AND qualifier = OLD.version;
END;
CREATE TRIGGER IF NOT EXISTS function_policies_alias_deleted
AFTER DELETE ON aliases BEGIN
    DELETE FROM function_policies
    WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
