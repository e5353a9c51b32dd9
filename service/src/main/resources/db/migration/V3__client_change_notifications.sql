-- Every change to an agent or a credential notifies the channel agentidp_client_changed with the agent's client id
-- ('*' for a TRUNCATE), after commit. Each AgentIdP task listens and drops that client from its in-memory cache of
-- token-endpoint lookups, so a revoked secret or a suspended agent stops working on every task at once — also when
-- the change is made by hand in SQL.

CREATE FUNCTION agentidp_notify_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_agent uuid;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('agentidp_client_changed', '*');
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'agents' THEN
        PERFORM pg_notify('agentidp_client_changed', CASE WHEN TG_OP = 'DELETE' THEN OLD.client_id ELSE NEW.client_id END);
        IF TG_OP = 'UPDATE' AND OLD.client_id IS DISTINCT FROM NEW.client_id THEN
            PERFORM pg_notify('agentidp_client_changed', OLD.client_id);
        END IF;
        RETURN NULL;
    END IF;
    changed_agent := CASE WHEN TG_OP = 'DELETE' THEN OLD.agent_id ELSE NEW.agent_id END;
    PERFORM pg_notify('agentidp_client_changed', client_id) FROM agents WHERE agent_id = changed_agent;
    RETURN NULL;
END
$$;

CREATE TRIGGER agents_client_changed AFTER INSERT OR UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION agentidp_notify_client_changed();
CREATE TRIGGER agents_truncated AFTER TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION agentidp_notify_client_changed();
CREATE TRIGGER credentials_client_changed AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION agentidp_notify_client_changed();
CREATE TRIGGER credentials_truncated AFTER TRUNCATE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION agentidp_notify_client_changed();
