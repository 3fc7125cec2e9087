"""The staff console's own pages: the home page with the figures a role may see, the navigation,
and the audit log. It sits above the domain apps and reads them; none of them import it."""
