"""Reference pipelines and measurements that qabot's own figures are compared against."""
