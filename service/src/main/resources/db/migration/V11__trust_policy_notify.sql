-- Every change to a trust policy notifies the channel agentidp_trust_policy_changed with the policy's issuer ('*' for
-- a TRUNCATE), after commit. Each AgentIdP task listens (on the connection that hears V3's client changes) and drops
-- that issuer from its in-memory copy of the jwt-bearer grant's policies, so a deleted policy stops matching on every
-- task as soon as the notification arrives, and a new one is usable there although the issuer was remembered as
-- having none — also when the change is made by hand in SQL. Policies are never updated through the API; an UPDATE
-- in SQL notifies the old and the new issuer. (V8's note on per-request lookups predates this cache.)

CREATE FUNCTION agentidp_notify_trust_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('agentidp_trust_policy_changed', '*');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('agentidp_trust_policy_changed', OLD.issuer);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.issuer IS DISTINCT FROM NEW.issuer) THEN
        PERFORM pg_notify('agentidp_trust_policy_changed', NEW.issuer);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER trust_policies_changed AFTER INSERT OR UPDATE OR DELETE ON trust_policies
    FOR EACH ROW EXECUTE FUNCTION agentidp_notify_trust_policy_changed();
CREATE TRIGGER trust_policies_truncated AFTER TRUNCATE ON trust_policies
    FOR EACH STATEMENT EXECUTE FUNCTION agentidp_notify_trust_policy_changed();
