"""What people give a model, made into arrays: photos read safely, any picture as pixels, drawings as model inputs."""
