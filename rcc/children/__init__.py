"""Children in care, their referrals and placements (recorded by their local authority)."""
