"""Suspension and resumption review (停复审核): a unit asks, the office decides, the project is paused and resumed."""
