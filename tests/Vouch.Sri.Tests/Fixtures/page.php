<?php $v = "1.0"; ?>
<html><head>
<script src="<?php echo $cdn ?>/lib.js"></script>
<script src="https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js" defer></script>
</head></html>
