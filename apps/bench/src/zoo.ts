// Registers every model family of the zoo with @se/core's registry.
import '@se/resnet';
import '@se/vgg';
