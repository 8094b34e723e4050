"""Models shared by experiments: the hand finder and the ImageNet photo model (classes and embedding)."""
