"""Train PGE: a labelled set of simulated products, a simulated crowd, classifiers tracked in MLflow."""
