"""The editor's Qt-free model: the pipeline document (the spec and its edit operations) and the
parallel-policy badges mapped onto it. An import contract keeps Qt out of this package."""
