// Registers every model family of the zoo with @se/core's registry.
import '@se/inception';
import '@se/mobilenet';
import '@se/resnet';
import '@se/resnext';
import '@se/shufflenet';
import '@se/vgg';
