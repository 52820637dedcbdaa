from tierline.audit.verify import tenant_chain_problem

__all__ = ["tenant_chain_problem"]
